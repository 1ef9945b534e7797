;; A huge make-vector is an error before anything is allocated.
;; args: --max-heap 16M
(define v (make-vector 1000000000 0))
