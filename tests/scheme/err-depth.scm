;; Deep non-tail recursion past --max-depth is a clean error, not a crash.
;; args: --max-depth 10000
;; torture: no  (too many allocations for a collection at each; torture-mix.scm covers it small)
(define (count n) (if (= n 0) 0 (+ 1 (count (- n 1)))))
(display (count 5000))
(newline)
(display (count 1000000))
