;; vector-set! of a literal at an index out of range, read in place, is vector-set!'s
;; error at the call.
(define (clear-from! v i)
  (vector-set! v i #f)
  (clear-from! v (+ i 1)))
(clear-from! (vector 1 2 3) 0)
