;; An infinite loop stopped by --fuel.
;; args: --fuel 100000
(define (spin) (spin))
(spin)
