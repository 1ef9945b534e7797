;; vector-set! in effect position out of range is vector-set!'s error at the call.
(define (clear! v n)
  (do ((i 0 (+ i 1))) ((= i n) v)
    (vector-set! v i 0)))
(display (clear! (make-vector 2 1) 2))
(newline)
(clear! (make-vector 2 1) 3)
