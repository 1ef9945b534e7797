;; Calls whose value goes to a map in progress or to a control primitive (not to the
;; caller's code) keep what the value is for beside their frames; escapes, guards and
;; re-entered continuations must leave each pending call with its own.

;; A guard inside a map's function catches an error raised inside a nested map:
;; the inner map is abandoned, the outer one goes on.
(define (safe-inverses xss)
  (map (lambda (xs)
         (guard (e (#t 'bad))
           (map (lambda (x) (if (= x 0) (raise 'zero) (- 100 x))) xs)))
       xss))
(display (safe-inverses '((1 2) (3 0 4) (5) (0))))
(newline)

;; The same with the error raised two maps deep and a vector-map outside.
(display
 (vector-map
  (lambda (n)
    (guard (e ((symbol? e) (list 'caught e)))
      (map (lambda (i) (map (lambda (j) (if (= (* i j) n) (raise 'hit) (* i j)))
                            '(1 2 3)))
           '(1 2 3))))
  #(4 5 6 10)))
(newline)

;; An escape from nested for-each and map with call/cc; the outer map goes on.
(define (first-over limit xss)
  (map (lambda (xs)
         (call/cc
          (lambda (return)
            (for-each (lambda (x) (map (lambda (y) (if (> (* x y) limit) (return (* x y))))
                                       '(1 2 3)))
                      xs)
            'none)))
       xss))
(display (first-over 10 '((1 2) (4 5) (2 3) (6))))
(newline)

;; A continuation captured two maps deep, re-entered after both maps returned: each
;; re-entry finishes both maps again from the captured point.
(define (reenter-nested-maps)
  (let ((k #f) (count 0) (results '()))
    (let ((r (map (lambda (a)
                    (map (lambda (b)
                           (if (and (= a 2) (= b 20))
                               (call/cc (lambda (c) (set! k c) (+ a b)))
                               (+ a b)))
                         '(10 20 30)))
                  '(1 2 3))))
      (set! results (cons r results))
      (set! count (+ count 1))
      (if (< count 3) (k (* 1000 count)))
      (reverse results))))
(for-each (lambda (r) (display r) (newline)) (reenter-nested-maps))

;; dynamic-wind and with-exception-handler around a map that raises continuably: the
;; handler's value goes back into the map.
(define log '())
(display
 (dynamic-wind
  (lambda () (set! log (cons 'in log)))
  (lambda ()
    (with-exception-handler
     (lambda (e) (* e 10))
     (lambda () (map (lambda (x) (if (odd? x) (raise-continuable x) x)) '(1 2 3 4)))))
  (lambda () (set! log (cons 'out log)))))
(newline)
(display (reverse log))
(newline)

;; call-with-values whose producer maps: its values go to the consumer, not to the map.
(display (call-with-values (lambda () (apply values (map (lambda (x) (* x x)) '(1 2 3))))
           (lambda (a b c) (list c b a))))
(newline)
