;; vector-set! on something that is not a vector, read in place, is vector-set!'s error.
(define (clear! v n)
  (let loop ((i 0))
    (if (< i n) (begin (vector-set! v i #f) (loop (+ i 1))))))
(define v (vector 1 2))
(clear! v 2)
(display v)
(newline)
(clear! "ab" 2)
