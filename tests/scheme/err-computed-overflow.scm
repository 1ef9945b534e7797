;; A sum of a computed operand leaving the fixnums is the primitive's error at the call.
(define (bump p) (+ (car p) 1))
(display (bump '(41)))
(newline)
(display (bump '(9223372036854775807)))
