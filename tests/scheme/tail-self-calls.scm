;; A defined procedure's tail call of its own global restarts its code in place while the
;; global holds the running closure; once the global holds something else, the call goes
;; to that, as any call of a global does.
(define (count n acc) (if (= n 0) acc (count (- n 1) (+ acc 1))))
(display (count 1000000 0))
(newline)
(define (walk l acc) (if (null? l) (reverse acc) (walk (cdr l) (cons (* 2 (car l)) acc))))
(display (walk '(1 2 3) '()))
(newline)
;; Called under another name: the global still names the running closure.
(define also count)
(display (also 10 5))
(newline)
;; The global rebound while the procedure runs: the next tail call goes to the new value.
(define (countdown n)
  (if (= n 3) (set! countdown (lambda (n) (list 'replaced n))))
  (if (= n 0) 'done (countdown (- n 1))))
(display (countdown 5))
(newline)
;; The old closure, called by another name, calls whatever the global holds now.
(define (ping n) (if (= n 0) 'ping (ping (- n 1))))
(define old-ping ping)
(set! ping (lambda (n) (list 'new-ping n)))
(display (old-ping 4))
(newline)
;; A different arity in the tail call is the general call and its error.
(define (odd-arity n) (if (= n 0) 'ok (odd-arity)))
(display (guard (e (#t (error-object-message e))) (odd-arity 2)))
(newline)
