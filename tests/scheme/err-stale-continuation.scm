;; Continuations escape only: calling one after its call/cc returned is an error.
(define saved #f)
(display (+ 1 (call/cc (lambda (k) (set! saved k) 1))))
(newline)
(saved 5)
