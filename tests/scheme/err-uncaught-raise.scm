;; A raise no handler catches ends the program with the raised object and a backtrace.
(define (check x) (if (< x 0) (raise (list 'negative x)) x))
(display (check 1))
(newline)
(display (+ 1 (check -5)))
