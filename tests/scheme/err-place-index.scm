;; A vector index out of range in a loop over a captured vector is vector-ref's error at
;; the call.
(define (walk v)
  (let loop ((i 0) (acc 0))
    (if (> i 3) acc (loop (+ i 1) (+ acc (vector-ref v i))))))
(display (walk (vector 1 2 3 4)))
(newline)
(walk (vector 1 2 3))
