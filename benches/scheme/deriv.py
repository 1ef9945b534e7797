# Gabriel's deriv: symbolic differentiation of a polynomial, repeated; allocates lists
# and dispatches on symbols (interned strings). A list is None or a pair (head, tail).
def lst(*items):
    l = None
    for x in reversed(items):
        l = (x, l)
    return l
def lmap(f, l):
    return None if l is None else (f(l[0]), lmap(f, l[1]))
def quot(a):
    return lst("/", deriv(a), a)
def deriv(a):
    if type(a) is not tuple:
        return 1 if a == "x" else 0
    op = a[0]
    if op == "+":
        return ("+", lmap(deriv, a[1]))
    if op == "-":
        return ("-", lmap(deriv, a[1]))
    if op == "*":
        return lst("*", a, ("+", lmap(quot, a[1])))
    if op == "/":
        u, v = a[1][0], a[1][1][0]
        return lst("-", lst("/", deriv(u), v), lst("/", u, lst("*", v, v, deriv(v))))
    raise ValueError("no derivation method available")
def size(t):
    return size(t[0]) + size(t[1]) if type(t) is tuple else 1
expr = lst("+", lst("*", 3, "x", "x"), lst("*", "a", "x", "x"), lst("*", "b", "x"), 5)
acc = 0
for _ in range(400000):
    acc += size(deriv(expr))
print(acc)
