;; Applying something that is not a procedure.
(define x 5)
(x 1 2)
