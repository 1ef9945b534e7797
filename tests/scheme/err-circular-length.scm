;; length of a circular list is an error, not a hang.
(define l (list 1 2 3))
(set-cdr! (cddr l) l)
(length l)
