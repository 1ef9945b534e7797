;; string-set! past the end of a string is an error at the call.
(define s (make-string 3 #\a))
(string-set! s 5 #\x)
