;; Exact division by zero.
(display (quotient 7 2))
(newline)
(display (/ 10 0))
