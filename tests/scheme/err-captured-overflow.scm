;; A sum of a captured parameter leaving the fixnums is the primitive's error at the call.
(define (step-by k)
  (let loop ((i 4611686018427387000) (n 0))
    (if (= n 3) i (loop (+ i k) (+ n 1)))))
(display (step-by 1))
(newline)
(step-by 4611686018427387000)
