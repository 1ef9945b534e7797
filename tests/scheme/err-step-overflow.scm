;; A loop variable stepped past the fixnums is the primitive's error at the step.
(define (climb x step)
  (let loop ((x x))
    (if (< x 0) x (loop (+ x step)))))
(display (climb -5 1))
(newline)
(display (climb 9223372036854775000 500))
