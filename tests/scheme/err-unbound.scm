;; An unbound variable is a runtime error at its position.
(display "before")
(newline)
(display (+ 1 undefined-thing))
