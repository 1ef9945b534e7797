;; Every kind of heap value, small: built, linked, mutated and read back while (in torture
;; mode) a collection runs at every allocation. A handle the interpreter failed to keep
;; would show up as a wrong value or a verification failure.

(define (show x . xs) (write x) (for-each (lambda (y) (display " ") (write y)) xs) (newline))

;; Closures over frames that outlive their calls.
(define (make-counter)
  (let ((n 0)) (lambda () (set! n (+ n 1)) n)))
(define c (make-counter))
(c) (c)
(show (c))

;; Records linked into a list, modified in place.
(define-record-type node (make-node value next) node? (value node-value set-node-value!) (next node-next))
(define chain (let loop ((i 0) (acc #f)) (if (= i 20) acc (loop (+ i 1) (make-node (* i i) acc)))))
(set-node-value! chain 'head)
(show (let loop ((n chain) (acc '())) (if n (loop (node-next n) (cons (node-value n) acc)) acc)))

;; Strings built from pieces, symbols interned at run time.
(define words (map (lambda (i) (string-append "w" (number->string i))) '(1 2 3 4 5)))
(show (apply string-append words) (map string->symbol words) (eq? (string->symbol "w1") 'w1))

;; Vectors of pairs, mutated.
(define v (make-vector 8 '()))
(do ((i 0 (+ i 1))) ((= i 40)) (vector-set! v (modulo i 8) (cons i (vector-ref v (modulo i 8)))))
(show (vector-ref v 3) (vector-length v))

;; Destructive list surgery.
(define l (list 1 2 3 4 5 6))
(set-cdr! (cddr l) (list 'x 'y))
(set-car! l 'first)
(show l (reverse l) (append l '(end)))

;; Quasiquote and symbolic data.
(define (simplify e)
  (cond ((and (pair? e) (eq? (car e) '+) (equal? (caddr e) 0)) (simplify (cadr e)))
        ((pair? e) (map simplify e))
        (else e)))
(show (simplify `(* (+ x 0) (+ ,(* 2 3) 0) (list ,@(map (lambda (i) `(+ ,i 0)) '(1 2))))))

;; Deep non-tail recursion building a structure on the way back.
(define (build n) (if (= n 0) '() (cons (vector n (list n)) (build (- n 1)))))
(show (length (build 200)) (vector-ref (car (build 3)) 1))

;; map, for-each, apply, assoc over fresh structure.
(define table (map (lambda (k) (cons k (number->string k))) '(1 2 3 4 5 6 7 8 9)))
(show (cdr (assoc 7 table)) (apply + (map car table)))
(for-each (lambda (p) (set-cdr! p (string-length (cdr p)))) table)
(show (map cdr table))
