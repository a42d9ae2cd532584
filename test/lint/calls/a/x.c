/* SPDX-License-Identifier: Apache-2.0 */
/* a/x.c and a/y.c call each other: a file circle. */
int a_y(int n);
int a_x(int n)
{
	return n ? a_y(n - 1) : 0;
}
