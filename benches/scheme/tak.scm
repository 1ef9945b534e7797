;; Takeuchi's function, Gabriel's tak: calls, tail calls and comparisons, repeated.
(define (tak x y z)
  (if (not (< y x))
      z
      (tak (tak (- x 1) y z)
           (tak (- y 1) z x)
           (tak (- z 1) x y))))
(define (repeat n acc)
  (if (= n 0) acc (repeat (- n 1) (+ acc (tak 18 12 6)))))
(display (repeat 1000 0))
(newline)
