-- String and vector work: a sieve of Eratosthenes on an array, then the primes turned
-- into strings, joined, and their characters summed; repeated.
local function sieve(n)
  local v = {}
  for i = 1, n do v[i] = true end
  local primes = nil
  for i = 2, n do
    if v[i] then
      for j = i * i, n, i do v[j] = false end
      primes = { i, primes }
    end
  end
  return primes
end
local function digits_sum(s)
  local acc = 0
  for i = 1, #s do acc = acc + (s:byte(i) - 48) end
  return acc
end
local function round_trip(n)
  local acc, ps = 0, sieve(n)
  while ps do
    local s = tostring(ps[1]) .. "0"
    acc = acc + #s + digits_sum(s)
    ps = ps[2]
  end
  return acc
end
local acc = 0
for _ = 1, 10 do acc = acc + round_trip(200000) end
print(acc)
