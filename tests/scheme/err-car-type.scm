;; A primitive applied to the wrong type.
(define (first x) (car x))
(first 42)
