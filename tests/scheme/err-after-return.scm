;; An error is reported at the instruction that failed, after calls returned to the code
;; and on the general path behind an inline fixnum sum or test.
(define (id x) x)
(define (twice n) (+ (id n) (id n)))
(define (dec n) (if (< n 0) 'negative (- (id n) (- n 1))))
(display (list (twice 2) (dec 5)))
(newline)
(define (walk n) (if (= n 0) (twice 'x) (+ 1 (walk (- n 1)))))
(walk 3)
