;; The run's limits are not exceptions: a guard cannot catch running out of fuel.
;; args: --fuel 100000
(define (spin) (spin))
(display (guard (e (#t 'caught)) (spin)))
