# String and vector work: a sieve of Eratosthenes on a list, then the primes turned
# into strings, joined, and their characters summed; repeated.
def sieve(n):
    v = [True] * (n + 1)
    primes = None
    for i in range(2, n + 1):
        if v[i]:
            for j in range(i * i, n + 1, i):
                v[j] = False
            primes = (i, primes)
    return primes
def digits_sum(s):
    acc = 0
    for c in s:
        acc += ord(c) - 48
    return acc
def round_trip(n):
    acc, ps = 0, sieve(n)
    while ps is not None:
        s = str(ps[0]) + "0"
        acc += len(s) + digits_sum(s)
        ps = ps[1]
    return acc
acc = 0
for _ in range(10):
    acc += round_trip(200000)
print(acc)
