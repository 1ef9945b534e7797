;; number->string returns a newly allocated string, so it is mutable (R7RS), in every radix
;; and for flonums; each call gives a new string.
(define (first-to-hash s) (string-set! s 0 #\#) s)
(display (list (first-to-hash (number->string 120))
               (first-to-hash (number->string -255 16))
               (first-to-hash (number->string 5 2))
               (first-to-hash (number->string 1.5))))
(newline)
(define a (number->string 77))
(define b (number->string 77))
(string-set! a 1 #\0)
(display (list a b (eq? a b)))
(newline)
