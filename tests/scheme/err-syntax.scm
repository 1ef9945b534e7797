;; A syntax error: the list opened on line 3 is never closed.
(display "forms before the error run")
(define (broken x)
  (+ x 1)
