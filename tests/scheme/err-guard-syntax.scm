;; A malformed guard is a syntax error at its position.
(display 1)
(guard (e) )
