;; A macro that expands forever is stopped, not a hang or a crash.
(define-syntax forever (syntax-rules () ((_ x) (forever (x)))))
(forever 1)
