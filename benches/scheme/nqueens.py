# N queens by backtracking over lists (Gabriel's queens): allocation of short lists.
# A list is None or a pair (head, tail).
import sys
sys.setrecursionlimit(100000)
def append(a, b):
    return b if a is None else (a[0], append(a[1], b))
def ok(row, dist, placed):
    while placed is not None:
        p = placed[0]
        if p == row + dist or p == row - dist or p == row:
            return False
        dist += 1
        placed = placed[1]
    return True
def try_it(x, y, z):
    if x is None:
        return 1 if y is None else 0
    a = try_it(append(x[1], y), None, (x[0], z)) if ok(x[0], 1, z) else 0
    return a + try_it(x[1], (x[0], y), z)
def iota1(n):
    l = None
    for i in range(n, 0, -1):
        l = (i, l)
    return l
acc = 0
for _ in range(400):
    acc += try_it(iota1(8), None, None)
print(acc)
