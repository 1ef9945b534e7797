;; Exact integer overflow is an error, never a wrap-around.
(define (fact n) (if (= n 0) 1 (* n (fact (- n 1)))))
(display (fact 20))
(newline)
(display (fact 21))
