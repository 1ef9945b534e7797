;; string-append of something that is not a string is its error at the call.
(define (label n) (string-append "#" n))
(display (label "1"))
(newline)
(label 1)
