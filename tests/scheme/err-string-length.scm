;; string-length of a parameter read in place: something else is the primitive's error.
(define (digits s) (string-length s))
(display (digits "123"))
(newline)
(digits 123)
