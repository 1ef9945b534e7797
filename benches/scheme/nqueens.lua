-- N queens by backtracking over lists (Gabriel's queens): allocation of short lists.
-- A list is nil or a pair {head, tail}.
local function cons(a, b) return { a, b } end
local function append(a, b)
  if a == nil then return b end
  return cons(a[1], append(a[2], b))
end
local function ok(row, dist, placed)
  if placed == nil then return true end
  local p = placed[1]
  return p ~= row + dist and p ~= row - dist and p ~= row and ok(row, dist + 1, placed[2])
end
local function try_it(x, y, z)
  if x == nil then
    if y == nil then return 1 else return 0 end
  end
  local a = 0
  if ok(x[1], 1, z) then
    a = try_it(append(x[2], y), nil, cons(x[1], z))
  end
  return a + try_it(x[2], cons(x[1], y), z)
end
local function iota1(n)
  local l = nil
  for i = n, 1, -1 do l = cons(i, l) end
  return l
end
local function queens(n) return try_it(iota1(n), nil, nil) end
local acc = 0
for _ = 1, 400 do acc = acc + queens(8) end
print(acc)
