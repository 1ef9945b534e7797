;; vector-set! of a computed value in effect position on something that is not a vector
;; is vector-set!'s error at the call.
(define (scale! v n k)
  (do ((i 0 (+ i 1))) ((= i n) v)
    (vector-set! v i (* i k))))
(display (scale! (make-vector 2 1) 2 10))
(newline)
(scale! (string #\a #\b) 2 10)
