;; An infinite loop stopped by --timeout.
;; args: --timeout 300ms
(define (spin) (spin))
(spin)
