;; set! of a variable that was never defined.
(set! nowhere 1)
