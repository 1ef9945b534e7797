# binary-trees, the same algorithm as binary-trees.scm: a tree is a pair (left, right),
# a leaf is a pair of two Nones.
import sys

def make_tree(depth):
    if depth == 0:
        return (None, None)
    d = depth - 1
    return (make_tree(d), make_tree(d))

def check(tree):
    if tree[0] is None:
        return 1
    return 1 + check(tree[0]) + check(tree[1])

n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
min_depth = 4
max_depth = max(min_depth + 2, n)
stretch = max_depth + 1
print(f"stretch tree of depth {stretch}\t check: {check(make_tree(stretch))}")
long_lived = make_tree(max_depth)
for depth in range(min_depth, max_depth + 1, 2):
    iterations = 2 ** (max_depth - depth + min_depth)
    s = 0
    for _ in range(iterations):
        s += check(make_tree(depth))
    print(f"{iterations}\t trees of depth {depth}\t check: {s}")
print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")
