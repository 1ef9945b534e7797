;; A `(not (< ...))` test whose comparison gets a non-number: the error of `<`, at `<`.
(define (id x) x)
(define (check a b) (and (not (< (id a) (id b))) 'ok))
(display (check 2 1))
(newline)
(display (check 'a 1))
