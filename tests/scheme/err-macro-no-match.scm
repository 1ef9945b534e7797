;; A macro use no rule matches is an error at the use.
(define-syntax pair-up (syntax-rules () ((_ a b) (cons a b))))
(display (pair-up 1 2))
(newline)
(display (pair-up 1 2 3))
