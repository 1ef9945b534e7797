# Takeuchi's function, Gabriel's tak: calls, tail calls and comparisons, repeated.
def tak(x, y, z):
    if not (y < x):
        return z
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
acc = 0
for _ in range(1000):
    acc += tak(18, 12, 6)
print(acc)
