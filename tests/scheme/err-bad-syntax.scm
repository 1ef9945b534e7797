;; Malformed special forms are compile errors with the form's position.
(display "ok")
(newline)
(let ((x 1) y) x)
