;; Doubly recursive Fibonacci: calls and fixnum arithmetic, no allocation.
(define (fib n)
  (if (< n 2)
      n
      (+ (fib (- n 1)) (fib (- n 2)))))
(display (fib 32))
(newline)
