/* SPDX-License-Identifier: Apache-2.0 */
/* p/one.c -> q/two.c -> p/three.c: no file circle, but p and q call each other. */
int q_two(int n);
int p_one(int n)
{
	return q_two(n) + 1;
}
