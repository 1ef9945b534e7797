;; An infinite loop stopped by --timeout.
;; args: --timeout 300ms
(let loop ((i 0)) (loop (+ i 1)))
