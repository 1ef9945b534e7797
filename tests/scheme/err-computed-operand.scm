;; A fixnum test of a computed operand holding something else reports the primitive's
;; error at the test.
(define (count-below v n)
  (let loop ((i 0) (k 0))
    (if (= i (vector-length v))
        k
        (loop (+ i 1) (if (< (vector-ref v i) n) (+ k 1) k)))))
(display (count-below #(1 5 2) 4))
(newline)
(count-below #(1 "five" 2) 4)
