-- binary-trees, the same algorithm as binary-trees.scm: a tree is a pair {left, right},
-- a leaf is a pair of two empty values.
local function make_tree(depth)
  if depth == 0 then
    return { false, false }
  end
  local d = depth - 1
  return { make_tree(d), make_tree(d) }
end

local function check(tree)
  if not tree[1] then
    return 1
  end
  return 1 + check(tree[1]) + check(tree[2])
end

local n = tonumber(arg and arg[1]) or 16
local min_depth = 4
local max_depth = math.max(min_depth + 2, n)
local stretch = max_depth + 1
io.write("stretch tree of depth ", stretch, "\t check: ", check(make_tree(stretch)), "\n")
local long_lived = make_tree(max_depth)
for depth = min_depth, max_depth, 2 do
  local iterations = 2 ^ (max_depth - depth + min_depth)
  iterations = math.floor(iterations)
  local sum = 0
  for _ = 1, iterations do
    sum = sum + check(make_tree(depth))
  end
  io.write(iterations, "\t trees of depth ", depth, "\t check: ", sum, "\n")
end
io.write("long lived tree of depth ", max_depth, "\t check: ", check(long_lived), "\n")
