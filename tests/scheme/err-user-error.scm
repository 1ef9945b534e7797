;; `error` called by the program: the message, then the irritants as `write` shows them.
(define (check-positive n)
  (if (< n 0)
      (error "expected a positive number, got" n (list "as list" n))
      n))
(check-positive 5)
(check-positive -7)
