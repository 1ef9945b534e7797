;; A fixnum test of a captured parameter holding something else reports the primitive's
;; error at the test.
(define (upto n)
  (let loop ((i 0))
    (if (< i n) (loop (+ i 1)) i)))
(display (upto 3))
(newline)
(upto "three")
