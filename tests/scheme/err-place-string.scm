;; string-ref past the end of a parameter's string is string-ref's error at the call.
(define (third s) (string-ref s 2))
(display (third (string-append "ab" "c")))
(newline)
(third (string-append "a" "b"))
