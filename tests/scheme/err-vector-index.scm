;; A vector index out of range.
(define v (make-vector 3 0))
(vector-set! v 2 1)
(vector-ref v 3)
