-- Gabriel's deriv: symbolic differentiation of a polynomial, repeated; allocates lists
-- and dispatches on symbols (interned strings). A list is nil or a pair {head, tail}.
local function cons(a, b) return { a, b } end
local function list(...)
  local t, l = { ... }, nil
  for i = select("#", ...), 1, -1 do l = cons(t[i], l) end
  return l
end
local function map(f, l)
  if l == nil then return nil end
  return cons(f(l[1]), map(f, l[2]))
end
local deriv
local function quot(a) return list("/", deriv(a), a) end
deriv = function(a)
  if type(a) ~= "table" then
    if a == "x" then return 1 else return 0 end
  end
  local op = a[1]
  if op == "+" then return cons("+", map(deriv, a[2]))
  elseif op == "-" then return cons("-", map(deriv, a[2]))
  elseif op == "*" then return list("*", a, cons("+", map(quot, a[2])))
  elseif op == "/" then
    local u, v = a[2][1], a[2][2][1]
    return list("-", list("/", deriv(u), v), list("/", u, list("*", v, v, deriv(v))))
  end
  error("no derivation method available")
end
local function size(t)
  if type(t) == "table" then return size(t[1]) + size(t[2]) end
  return 1
end
local expr = list("+", list("*", 3, "x", "x"), list("*", "a", "x", "x"), list("*", "b", "x"), 5)
local acc = 0
for _ = 1, 400000 do acc = acc + size(deriv(expr)) end
print(acc)
